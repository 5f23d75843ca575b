// Image pulls as the kubelet's image manager needs them here (upstream pkg/kubelet/images/image_manager.go):
// one pull at a time per image, and a registry that could not be reached is remembered for a minute so a
// burst of pods using `busybox` (policy Always) does not ask an unreachable registry once per pod.

/** How long "registry unreachable" is believed before the next pull tries again. */
export const UNREACHABLE_TTL_MS = 60_000;

export type PullOutcome =
  | { ok: true }
  | { ok: false; unreachable: boolean; error: string };

/** The registry host of an image reference (`busybox` and `library/x` live on docker.io). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first : 'docker.io';
}

// Errors that a registry answered with: it is reachable, the image (or access to it) is the problem.
const REGISTRY_ANSWERED = /manifest unknown|not found: manifest|pull access denied|repository does not exist|unauthorized|denied|invalid reference format/i;

export class ImagePuller {
  private readonly unreachable = new Map<string, { until: number; error: string }>();
  private readonly inFlight = new Map<string, Promise<PullOutcome>>();

  constructor(private readonly doPull: (image: string) => Promise<string | undefined>, private readonly now = () => Date.now(),
              private readonly ttlMs = UNREACHABLE_TTL_MS) {}

  /** The cached reason the image's registry is unreachable, if one is known and fresh. */
  knownUnreachable(image: string): string | undefined {
    const e = this.unreachable.get(registryOf(image));
    if (!e) return undefined;
    if (this.now() >= e.until) { this.unreachable.delete(registryOf(image)); return undefined; }
    return e.error;
  }

  /** Tries the pull, unless the registry is known to be unreachable; concurrent pulls of one image share the attempt. */
  pull(image: string): Promise<PullOutcome> {
    const cached = this.knownUnreachable(image);
    if (cached !== undefined) return Promise.resolve({ ok: false, unreachable: true, error: cached });
    let p = this.inFlight.get(image);
    if (!p) {
      p = this.attempt(image).finally(() => this.inFlight.delete(image));
      this.inFlight.set(image, p);
    }
    return p;
  }

  private async attempt(image: string): Promise<PullOutcome> {
    const err = await this.doPull(image);
    if (err === undefined) { this.unreachable.delete(registryOf(image)); return { ok: true }; }
    const unreachable = !REGISTRY_ANSWERED.test(err);
    if (unreachable) this.unreachable.set(registryOf(image), { until: this.now() + this.ttlMs, error: err });
    return { ok: false, unreachable, error: err };
  }
}
