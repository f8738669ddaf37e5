import { IsDefined, IsOptional } from 'class-validator';
import { IsHostPort } from './is-host-port.decorator';
import { IsUsername } from './username.decorator';

export class HeartbeatDto {
  @IsDefined({ message: 'username is required' })
  @IsUsername()
  username!: string;

  /** Where the client is now; defaults to its registered address. */
  @IsOptional()
  @IsHostPort()
  addr?: string;
}
