import { ApiProperty } from '@nestjs/swagger';
import { DriveStatusDto } from '../drive/drive-status.dto';

export class MemberDto {
  @ApiProperty({ example: '127.0.0.1:8081', description: 'Election address.' })
  node!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null until the peer is heard.' })
  api!: string | null;
  @ApiProperty({
    enum: ['leader', 'follower', 'candidate', 'unknown'],
    description: 'Exact for this node; for a peer, what this node can tell (unknown if not).',
  })
  role!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Null where not vouched for.' })
  term!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "The machine's CPU load 0-100, as last heard; null if never.",
  })
  cpu!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      "The machine's load minus the node's own rollcall process, 0-100, as last heard: the " +
      'figure elections and leadership transfers compare. Null if never.',
  })
  background!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '0 for this node; null if never.' })
  last_contact_ms!: number | null;
  @ApiProperty()
  reachable!: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Heartbeats the node accepted per second over the last second: on this node its own (as ' +
      "leader or, with follower_heartbeats, as follower); on the leader also each follower's, " +
      'as passed on to it. Null where this node cannot tell.',
  })
  heartbeats_per_s!: number | null;
}

export class ClusterDto {
  @ApiProperty({ type: [MemberDto], description: 'Every member, in address order.' })
  nodes!: MemberDto[];
  @ApiProperty({ type: String, nullable: true })
  leader!: string | null;
  @ApiProperty()
  term!: number;
  @ApiProperty()
  registered_count!: number;
  @ApiProperty()
  online_count!: number;
  @ApiProperty({ type: DriveStatusDto })
  drive!: DriveStatusDto;
  @ApiProperty({ description: 'The election port speaks mutual TLS (PEER_TLS_* set).' })
  peer_tls!: boolean;
  @ApiProperty({ description: 'The API is served over HTTPS (API_TLS_* set).' })
  api_tls!: boolean;
}
