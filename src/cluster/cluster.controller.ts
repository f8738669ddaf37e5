import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ClusterDto } from './cluster.dto';
import { ClusterService } from './cluster.service';

@Controller()
export class ClusterController {
  constructor(private readonly cluster: ClusterService) {}

  @Get('cluster')
  @ApiTags('cluster (any node)')
  @ApiOperation({ summary: 'Every member as this node sees it' })
  @ApiOkResponse({ type: ClusterDto })
  get() {
    return this.cluster.view();
  }
}
