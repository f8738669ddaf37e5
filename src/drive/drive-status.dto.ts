import { ApiProperty } from '@nestjs/swagger';

export class DriveStatusDto {
  @ApiProperty({ description: 'Whether Google Drive sync is configured.' })
  enabled!: boolean;
  @ApiProperty({ description: "Users committed but not yet in the folder (the leader's queue)." })
  pending_writes!: number;
  @ApiProperty({ type: String, nullable: true })
  last_error!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  last_success_at!: string | null;
}
