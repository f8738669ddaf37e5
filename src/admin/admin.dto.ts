import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsHostPort } from '../clients/dto/is-host-port.decorator';

export class LeaderTransferDto {
  @ApiPropertyOptional({
    example: '127.0.0.1:8081',
    description:
      'The member to hand over to (its election address); default: the best up-to-date follower',
  })
  @IsOptional()
  @IsHostPort()
  to?: string;
}

export class LeaderTransferResponseDto {
  @ApiProperty({ enum: [true] })
  success!: true;

  @ApiProperty({ example: 'Leadership moved from 127.0.0.1:8080 to 127.0.0.1:8081 in 42 ms' })
  message!: string;

  @ApiProperty({ example: '127.0.0.1:8080' })
  previous_leader!: string;

  @ApiProperty({ example: '127.0.0.1:8081' })
  current_leader!: string;

  @ApiProperty({ type: String, nullable: true, example: 'http://127.0.0.1:3001' })
  leader_api!: string | null;

  @ApiProperty({ example: 3 })
  term!: number;
}
