import { ApiProperty } from '@nestjs/swagger';
import { DriveStatusDto } from '../drive/drive-status.dto';

export class LogPositionDto {
  @ApiProperty()
  last_index!: number;
  @ApiProperty()
  commit_index!: number;
  @ApiProperty()
  applied_index!: number;
  @ApiProperty({ description: 'Entries the leader committed that this node has not applied.' })
  commit_lag!: number;
}

export class OwnMembershipDto {
  @ApiProperty({
    enum: ['voter', 'learner', 'removed'],
    description:
      'What this node is to the membership in force: a learner does not vote or campaign; a removed node stops campaigning.',
  })
  role!: 'voter' | 'learner' | 'removed';
  @ApiProperty({ description: 'Log index of that configuration (0: the bootstrap peers)' })
  config_index!: number;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';
  @ApiProperty({ description: 'Leads and holds its lease: would answer leader-only routes.' })
  is_leader!: boolean;
  @ApiProperty({ description: "On a follower, its copy of the leader's list." })
  online_clients_count!: number;
  @ApiProperty({ type: String, nullable: true, example: '127.0.0.1:8080' })
  current_leader!: string | null;
  @ApiProperty()
  term!: number;
  @ApiProperty({ example: '127.0.0.1:8080' })
  node!: string;
  @ApiProperty({ type: String, nullable: true, example: 'http://127.0.0.1:3000' })
  leader_api!: string | null;
  @ApiProperty()
  registered_count!: number;
  @ApiProperty({ type: LogPositionDto })
  log!: LogPositionDto;
  @ApiProperty({ type: DriveStatusDto })
  drive!: DriveStatusDto;
  @ApiProperty({ type: OwnMembershipDto })
  membership!: OwnMembershipDto;
  @ApiProperty({ description: 'The election port speaks mutual TLS (PEER_TLS_* set).' })
  peer_tls!: boolean;
  @ApiProperty({ description: 'The API is served over HTTPS (API_TLS_* set).' })
  api_tls!: boolean;
}
