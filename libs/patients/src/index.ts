export * from './entities';
export * from './patients.service';
export * from './patients.module';
