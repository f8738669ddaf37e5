import { IsDefined } from 'class-validator';
import { USERNAME_MESSAGES } from './field-rules';
import { IsHostPort } from './is-host-port.decorator';
import { IsUsername } from './username.decorator';

export class RegisterDto {
  @IsDefined({ message: USERNAME_MESSAGES.required })
  @IsUsername()
  username!: string;

  @IsDefined({ message: 'addr is required' })
  @IsHostPort()
  addr!: string;
}
