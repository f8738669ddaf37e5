import { ApiProperty } from '@nestjs/swagger';

export class RegisterResponseDto {
  @ApiProperty({ enum: [true] })
  success!: true;
  @ApiProperty({ example: "User 'alice' registered successfully at 192.168.1.10:9000" })
  message!: string;
  @ApiProperty({ format: 'uuid', description: 'UUID v4' })
  user_id!: string;
  @ApiProperty({
    description:
      '256 random bits (base64url), shown only here: send it as Authorization: Bearer <token> with heartbeats',
    example: 'q3Jx0u6lE2o9l8kq1VqfM1vXo0b7s2QWcYp4a9nT5dE',
  })
  token!: string;
}

export class HeartbeatResponseDto {
  @ApiProperty({ enum: [true] })
  success!: true;
  @ApiProperty({ example: "Heartbeat accepted for 'alice' at 192.168.1.10:9000" })
  message!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;
  @ApiProperty({ example: 'alice' })
  username!: string;
  @ApiProperty({ example: '192.168.1.10:9000', description: 'The registered address.' })
  addr!: string;
  @ApiProperty({ format: 'date-time' })
  registered_at!: string;
}

export class UsersResponseDto {
  @ApiProperty({ type: [UserDto] })
  users!: UserDto[];
  @ApiProperty()
  count!: number;
}

export class OnlineClientDto {
  @ApiProperty({ example: 'alice' })
  username!: string;
  @ApiProperty({ example: '192.168.1.10:9000', description: 'Where its last heartbeat said.' })
  addr!: string;
  @ApiProperty({ format: 'date-time' })
  last_seen!: string;
  @ApiProperty()
  last_seen_ms_ago!: number;
}

export class DiscoverResponseDto {
  @ApiProperty({ type: [OnlineClientDto] })
  online_clients!: OnlineClientDto[];
  @ApiProperty()
  count!: number;
  @ApiProperty({
    description: 'false on an answer a follower served from its copy (follower_reads)',
  })
  is_leader!: boolean;
}
