export * from './entities';
export * from './inputs';
export * from './views';
export * from './auth/auth.service';
export * from './clinics/clinics.service';
export * from './practitioners/practitioners.service';
export * from './tenancy/clinic-scoped-repository';
export * from './identity.module';
