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
  @IsDefined({ message: USERNAME_MESSAGES.required })
  @IsUsername()
  username!: string;

  /** Where the client is now; defaults to its registered address. */
  @IsOptional()
  @IsHostPort()
  addr?: string;
}
