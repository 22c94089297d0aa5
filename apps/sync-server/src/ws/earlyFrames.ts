/**
 * What a connection receives before its document has loaded: the frames, held in order up to a
 * bound (SPEC MEM4) and handled once it has; and, when the load offers the stored snapshot, the
 * answer to a fresh client's sync step 1 from it (LOAD1, docs/storedAnswer.ts).
 */
import { writeSyncStep2 } from '../protocol/messages.js';
import { firstSyncStep1, type StoredOffer } from '../docs/storedAnswer.js';
import { MESSAGE_COST } from './messageBudget.js';

/** What early frames need of their connection. */
export interface EarlyFramesOwner {
  send(message: Uint8Array): void;
  /** Charge the connection's message budget (MAL2). */
  spend(cost: number): void;
}

export interface EarlyFramesLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
  /** A stored state above half of this is not sent early: it would leave no room after it. */
  readonly maxBufferedBytes: number;
  /** The newest schema version the client knows; undefined for generic clients. */
  readonly clientSchema: number | undefined;
}

export class EarlyFrames {
  private frames: Uint8Array[] = [];
  private bytes = 0;
  private offer: StoredOffer | undefined;
  /** Tells the offer this client's sync step 1 came (or never will). */
  private asked: (() => void) | undefined;
  private answered = false;

  constructor(
    private readonly owner: EarlyFramesOwner,
    private readonly limits: EarlyFramesLimits,
  ) {}

  /** Hold a frame until the load; false once over the bound (the connection closes). */
  add(frame: Uint8Array): boolean {
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    if (this.frames.length > this.limits.maxMessages || this.bytes > this.limits.maxBytes)
      return false;
    this.answerFromStored([frame]);
    return true;
  }

  /** The loading document has a stored state fresh clients may be given. */
  offered(offer: StoredOffer): void {
    // A client that knows only older schema versions is refused once loaded (MIG6).
    const { clientSchema } = this.limits;
    if (clientSchema !== undefined && offer.stored.schemaVersion > clientSchema) return;
    if (offer.stored.state.byteLength > this.limits.maxBufferedBytes / 2) return;
    this.offer = offer;
    this.answerFromStored(this.frames);
    if (this.offer) this.asked = offer.awaitAsk();
  }

  /**
   * Loaded: the frames held, in order, and whether the first sync step 1 among them was answered
   * from the stored state (its answer now sends only what the document holds beyond it).
   */
  take(): { frames: Uint8Array[]; answeredFromStored: boolean } {
    this.forgetOffer();
    const taken = { frames: this.frames, answeredFromStored: this.answered };
    this.frames = [];
    this.bytes = 0;
    return taken;
  }

  /** The connection closed. */
  drop(): void {
    this.take();
  }

  /**
   * Answer from the stored state if the first sync step 1 is among `frames` and a fresh client's.
   * Frames are looked at once: `offered` looks at those held before, `add` at each after.
   */
  private answerFromStored(frames: readonly Uint8Array[]): void {
    const offer = this.offer;
    if (!offer) return;
    const first = firstSyncStep1(frames);
    if (first === 'none') return;
    this.forgetOffer();
    if (first === 'other') return;
    // Charged now, not when the held step 1 is handled after the load (MAL2).
    this.owner.spend(MESSAGE_COST.syncStep1);
    this.answered = true;
    this.owner.send(writeSyncStep2(offer.stored.state));
  }

  private forgetOffer(): void {
    this.offer = undefined;
    this.asked?.();
    this.asked = undefined;
  }
}
