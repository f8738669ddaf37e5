import { IsDefined } from 'class-validator';
import { IsHostPort } from './is-host-port.decorator';
import { IsUsername } from './username.decorator';

export class RegisterDto {
  @IsDefined({ message: 'username is required' })
  @IsUsername()
  username!: string;

  @IsDefined({ message: 'addr is required' })
  @IsHostPort()
  addr!: string;
}
