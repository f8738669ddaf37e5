import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsUrl } from 'class-validator';
import { IsHostPort } from '../clients/dto/is-host-port.decorator';

export class AddMemberDto {
  @ApiProperty({ example: '127.0.0.1:8083', description: "The new member's election address" })
  @IsHostPort()
  node!: string;

  @ApiProperty({ example: 'http://127.0.0.1:3003', description: "The new member's HTTP API" })
  @IsUrl(
    { require_protocol: true, protocols: ['http', 'https'], require_tld: false },
    { message: 'api_url must be an http:// or https:// URL, such as http://127.0.0.1:3003' },
  )
  api_url!: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'Join as a learner (default): it gets the log and counts for nothing until promoted. false adds a voter at once.',
  })
  @IsOptional()
  @IsBoolean({ message: 'learner must be true or false' })
  learner?: boolean;
}

/** POST /cluster/members/:node/promote takes no fields: `{}` (what the SDK sends), or nothing. */
export class PromoteMemberDto {}

/** The `:node` of /cluster/members/:node (URL-encoded `host:port`). */
export class MemberParamDto {
  @IsHostPort()
  node!: string;
}

export class MemberDto {
  @ApiProperty({ example: '127.0.0.1:8081' })
  node!: string;

  @ApiProperty({ example: 'http://127.0.0.1:3001' })
  api_url!: string;

  @ApiProperty({ enum: ['voter', 'learner'] })
  role!: 'voter' | 'learner';

  @ApiProperty({ example: 42, description: "Its log matches the leader's up to here" })
  match_index!: number;

  @ApiProperty({ description: 'Heard from within election_timeout_min_ms' })
  reachable!: boolean;
}

export class MemberListDto {
  @ApiProperty({ type: [MemberDto] })
  members!: MemberDto[];

  @ApiProperty({
    example: 17,
    description: 'Log index of the configuration in force (0: the bootstrap peers of config.toml)',
  })
  config_index!: number;
}
