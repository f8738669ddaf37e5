import { ApiProperty } from '@nestjs/swagger';

/** Every error's body. */
export class ErrorResponseDto {
  @ApiProperty({ enum: [false], example: false })
  success!: false;

  @ApiProperty({ example: "Username 'alice' is already registered" })
  message!: string;
}

/** A leader-only route on a node that may not serve it: where to go instead. */
export class LeaderErrorDto extends ErrorResponseDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '127.0.0.1:8081',
    description: "The leader's election address; null while an election is under way.",
  })
  current_leader!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'http://127.0.0.1:3001',
    description: "The leader's HTTP base URL; null while no leader is known.",
  })
  leader_api!: string | null;
}
