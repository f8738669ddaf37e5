import { ApiProperty } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { USERNAME_MESSAGES } from './field-rules';
import { IsHostPort } from './is-host-port.decorator';
import { IsUsername } from './username.decorator';

export class RegisterDto {
  @ApiProperty({ example: 'alice', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })
  @IsDefined({ message: USERNAME_MESSAGES.required })
  @IsUsername()
  username!: string;

  @ApiProperty({
    example: '192.168.1.10:9000',
    description: 'host:port (IPv4, [IPv6] or DNS name)',
  })
  @IsDefined({ message: 'addr is required' })
  @IsHostPort()
  addr!: string;
}
