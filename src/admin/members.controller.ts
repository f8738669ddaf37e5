import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { LeaderOnly } from '../clients/leader-only';
import { ApiErrors, ApiLeaderOnly } from '../common/http/api-errors';
import { ErrorResponseDto } from '../common/http/error.dto';
import { MembershipService } from '../election/membership.service';
import { AdminOnly } from './admin-only';
import { AddMemberDto, MemberListDto, MemberParamDto, PromoteMemberDto } from './members.dto';

const CONFLICT = {
  status: 409,
  description:
    'Refused, with `reason`: `in-flight` (another change is not committed yet), `behind` (the learner is more than 10 entries behind; `behind` says how many), `unsafe` (the voters would be left without a reachable majority), `invalid` (not a change: already a member, or the only voter).',
  type: ErrorResponseDto,
};
const NOT_YET =
  ' Also while a new leader has not committed an entry of its own term (`reason: "no-own-term-commit"`).';

/** Membership changes, one server at a time, on the leader (the `rollcall members` commands). */
@Controller('cluster/members')
// As in AdminController: the token is checked before leadership.
@LeaderOnly()
@AdminOnly()
@ApiTags('admin (leader only, Authorization: Bearer <ADMIN_TOKEN>)')
@ApiLeaderOnly(NOT_YET)
export class MembersController {
  constructor(private readonly membership: MembershipService) {}

  @Get()
  @ApiOperation({ summary: 'The members: voters and learners, how far each holds the log' })
  @ApiOkResponse({ type: MemberListDto })
  list(): MemberListDto {
    return this.membership.list();
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Adds a member (a learner by default); answered once committed' })
  @ApiBody({ type: AddMemberDto })
  @ApiOkResponse({ type: MemberListDto })
  @ApiErrors(400, 413)
  @ApiResponse(CONFLICT)
  add(@Body() body: AddMemberDto): Promise<MemberListDto> {
    return this.membership.add(body.node, body.api_url, body.learner ?? true);
  }

  @Post(':node/promote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Makes a caught-up learner a voter; answered once committed' })
  @ApiParam({ name: 'node', example: '127.0.0.1:8083' })
  @ApiBody({ type: PromoteMemberDto, required: false })
  @ApiOkResponse({ type: MemberListDto })
  @ApiErrors(400, 404, 413)
  @ApiResponse(CONFLICT)
  promote(@Param() params: MemberParamDto): Promise<MemberListDto> {
    return this.membership.promote(params.node);
  }

  @Delete(':node')
  @ApiOperation({
    summary:
      'Removes a member; answered once committed. The leader hands over first and answers 403 naming its successor, which removes it.',
  })
  @ApiParam({ name: 'node', example: '127.0.0.1:8082' })
  @ApiOkResponse({ type: MemberListDto })
  @ApiErrors(400, 404)
  @ApiResponse(CONFLICT)
  remove(@Param() params: MemberParamDto): Promise<MemberListDto> {
    return this.membership.remove(params.node);
  }
}
