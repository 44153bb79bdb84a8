import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';

/** argon2id with OWASP parameters (19 MiB, t=2, p=1) or stronger, from config. */
@Injectable()
export class PasswordHasher {
  /** A valid hash of a random password: verifying against it costs the same as a real check. */
  private dummyHash?: Promise<string>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: Algorithm.Argon2id,
      memoryCost: this.config.passwordMemoryKib,
      timeCost: 2,
      parallelism: 1,
    });
  }

  async verify(passwordHash: string | null | undefined, password: string): Promise<boolean> {
    if (!passwordHash) {
      // Unknown user or pending invitation: spend the same time so timing does not reveal which.
      this.dummyHash ??= this.hash('not-a-real-password-' + Math.random());
      await verify(await this.dummyHash, password).catch(() => false);
      return false;
    }
    return verify(passwordHash, password).catch(() => false);
  }
}
