import { Injectable } from '@nestjs/common';

export type Role = 'leader' | 'follower' | 'candidate';

export interface LeadershipView {
  role: Role;
  term: number;
  /** The leader's election address, or null while none is known. */
  leader: string | null;
  /** The leader's HTTP base URL, or null while none is known. */
  leaderApi: string | null;
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

  /** Called after every change of role, term or leader, with the view before it. */
  onChange(
    listener: (view: Readonly<LeadershipView>, before: Readonly<LeadershipView>) => void,
  ): void {
    this.listeners.push(listener);
  }
}
