import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional } from 'class-validator';
import { ValidatedBy } from '../../common/http/body-validator';
import { USERNAME_MESSAGES } from './field-rules';
import { validateHeartbeat } from './heartbeat.validator';
import { IsHostPort } from './is-host-port.decorator';
import { IsUsername } from './username.decorator';

/**
 * The decorators state the rules; validateHeartbeat enforces them on the hot path, and a unit
 * test holds the two to the same answers.
 */
@ValidatedBy(validateHeartbeat)
export class HeartbeatDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })
  @IsDefined({ message: USERNAME_MESSAGES.required })
  @IsUsername()
  username!: string;

  /** Where the client is now; defaults to its registered address. */
  @ApiPropertyOptional({
    example: '192.168.1.10:9000',
    description: 'host:port; defaults to the registered address',
  })
  @IsOptional()
  @IsHostPort()
  addr?: string;
}
