import { Body, Controller, Get, HttpCode, Inject, Post, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { LeaderOnly } from '../clients/leader-only';
import type { RegistrySnapshot } from '../clients/registry-state-machine';
import { ApiErrors, ApiLeaderOnly } from '../common/http/api-errors';
import { ErrorResponseDto } from '../common/http/error.dto';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeaderTransfer } from '../election/leader-transfer';
import { ReplicatedLog } from '../election/replicated-log';
import { AdminOnly } from './admin-only';
import { LeaderTransferDto, LeaderTransferResponseDto } from './admin.dto';
import { encodeSnapshot, SNAPSHOT_FORMAT, type SnapshotHeader } from './snapshot-file';

/** The operator's routes on the leader (the `rollcall` CLI follows the leader to them). */
@Controller('cluster')
// Guards run in the order applied, bottom first: the token is checked before leadership, so a
// request without it learns nothing, not even where the leader is.
@LeaderOnly()
@AdminOnly()
@ApiTags('admin (leader only, Authorization: Bearer <ADMIN_TOKEN>)')
@ApiLeaderOnly()
export class AdminController {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly log: ReplicatedLog,
    private readonly transfer: LeaderTransfer,
  ) {}

  @Get('snapshot')
  @ApiOperation({
    summary: 'A consistent, checksummed snapshot of the registry at one applied index',
    description: `Newline-delimited JSON (${SNAPSHOT_FORMAT}): a header with the index, term and members, one line per user, the rest of the registry, then {"sha256"} of every byte before it. \`rollcall snapshot restore\` turns it into a data directory.`,
  })
  @ApiOkResponse({
    description: 'The snapshot file, streamed',
    content: { 'application/x-ndjson': { schema: { type: 'string', format: 'binary' } } },
  })
  snapshot(): StreamableFile {
    const cut = this.log.snapshotNow();
    if (!cut) throw new LeaseNotHeldError();
    const registry = cut.data as RegistrySnapshot;
    const membership = this.log.membership();
    const header: SnapshotHeader = {
      format: SNAPSHOT_FORMAT,
      index: cut.index,
      term: cut.term,
      taken_at: new Date().toISOString(),
      taken_on: this.config.thisNode,
      peers: [...(membership?.voters ?? this.config.peers)],
      learners: [...(membership?.learners ?? [])],
      users: registry.users.length,
    };
    return new StreamableFile(Readable.from(encodeSnapshot({ header, registry })), {
      type: 'application/x-ndjson',
      disposition: `attachment; filename="rollcall-snapshot-${cut.index}.ndjson"`,
    });
  }

  @Post('leader/transfer')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Hand leadership to another member (TimeoutNow); answered once it leads',
  })
  @ApiBody({ type: LeaderTransferDto })
  @ApiOkResponse({ type: LeaderTransferResponseDto })
  @ApiErrors(400, 413)
  @ApiResponse({
    status: 409,
    description: 'No follower (or not the one named) is up to date and heard from recently.',
    type: ErrorResponseDto,
  })
  transferLeader(@Body() body: LeaderTransferDto) {
    return this.transfer.run(body.to);
  }
}
