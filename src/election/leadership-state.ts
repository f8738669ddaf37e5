import { Injectable } from '@nestjs/common';
import type { RaftRole } from './consensus/core-output';

/** The role the node shows the world (GET /, events, metrics): Raft's pre-candidate is a candidate. */
export type PublicRole = 'leader' | 'follower' | 'candidate';

export function toPublicRole(role: RaftRole): PublicRole {
  return role === 'pre-candidate' ? 'candidate' : role;
}

export interface LeadershipView {
  role: PublicRole;
  term: number;
  /** The leader's election address, or null while none is known. */
  leader: string | null;
  /** The leader's HTTP base URL, or null while none is known. */
  leaderApi: string | null;
}

/** One change of this node's role, with the election's reason for it. */
export interface RoleChangeEvent {
  role: PublicRole;
  term: number;
  leader: string | null;
  /** `startup`, `election timeout`, `won election`, `transfer to X for load`, … */
  reason: string;
}

/**
 * What the rest of the node may know about leadership. The election fills it in; the
 * LeaderGuard and the health route read it. Nothing else decides who leads.
 */
@Injectable()
export class LeadershipState {
  private view: LeadershipView = { role: 'follower', term: 0, leader: null, leaderApi: null };
  private leaseCheck: () => boolean = () => false;
  private stopped = false;
  private readonly roleListeners: ((change: RoleChangeEvent) => void)[] = [];
  private readonly handoverListeners: ((successor: string) => void)[] = [];
  private readonly appendsListeners: (() => void)[] = [];
  private readonly listeners: ((
    view: Readonly<LeadershipView>,
    before: Readonly<LeadershipView>,
  ) => void)[] = [];

  get current(): Readonly<LeadershipView> {
    return this.view;
  }

  /** True only while this node leads and still holds its lease: the one test for leader-only work. */
  canServeAsLeader(): boolean {
    return !this.stopped && this.view.role === 'leader' && this.leaseCheck();
  }

  /** For good: a node that is shutting down serves no leader-only request, whatever its role. */
  stopServing(): void {
    this.stopped = true;
  }

  update(view: LeadershipView, leaseCheck: () => boolean = () => view.role === 'leader'): void {
    const before = this.view;
    this.view = { ...view };
    this.leaseCheck = leaseCheck;
    const changed =
      before.role !== view.role || before.term !== view.term || before.leader !== view.leader;
    if (changed) for (const listener of this.listeners) listener(this.view, before);
  }

  /** The election reports each role change here, with its reason, as it logs it. */
  announce(change: RoleChangeEvent): void {
    for (const listener of this.roleListeners) listener(change);
  }

  /**
   * The election calls this just before it asks `successor` to take over, on the same
   * connection: what listeners send now reaches the successor before it can win.
   */
  handingOver(successor: string): void {
    for (const listener of this.handoverListeners) listener(successor);
  }

  /**
   * The election calls this as a leader's AppendEntries leave (its heartbeats, every
   * heartbeat_interval_ms, or entries): what listeners send now leaves to each follower in the
   * same write as they do, since the transport writes a turn's frames to a peer at once.
   */
  appendsSent(): void {
    for (const listener of this.appendsListeners) listener();
  }

  /** Called as this leader's AppendEntries leave (see appendsSent). */
  onAppendsSent(listener: () => void): void {
    this.appendsListeners.push(listener);
  }

  /** Called as this leader hands over, while its last words can still go first. */
  onHandover(listener: (successor: string) => void): void {
    this.handoverListeners.push(listener);
  }

  /** Called for each role change the election reports, with its reason (for events and metrics). */
  onRoleChange(listener: (change: RoleChangeEvent) => void): void {
    this.roleListeners.push(listener);
  }

  /** Called after every change of role, term or leader, with the view before it. */
  onChange(
    listener: (view: Readonly<LeadershipView>, before: Readonly<LeadershipView>) => void,
  ): void {
    this.listeners.push(listener);
  }
}
