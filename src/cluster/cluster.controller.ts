import { Controller, Get } from '@nestjs/common';
import { ClusterService } from './cluster.service';

@Controller()
export class ClusterController {
  constructor(private readonly cluster: ClusterService) {}

  @Get('cluster')
  get() {
    return this.cluster.view();
  }
}
