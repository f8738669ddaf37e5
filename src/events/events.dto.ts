import { ApiProperty } from '@nestjs/swagger';

export class ClusterEventDto {
  @ApiProperty({ format: 'date-time', description: 'When it happened (a batch: its first).' })
  at!: string;
  @ApiProperty({ enum: ['election', 'transfer', 'online', 'expiry'] })
  kind!: string;
  @ApiProperty({ example: '127.0.0.1:8081', description: 'The node that saw it.' })
  node!: string;
  @ApiProperty()
  term!: number;
  @ApiProperty({
    example: '127.0.0.1:8081 became leader in term 2 (won election)',
    description: "For a role change, the election's reason is in parentheses.",
  })
  message!: string;
  @ApiProperty({ description: 'Presence changes this line stands for; 1 for a role change.' })
  count!: number;
}

export class EventsDto {
  @ApiProperty({ type: [ClusterEventDto], description: 'Newest first, at most 100.' })
  events!: ClusterEventDto[];
  @ApiProperty()
  count!: number;
}
