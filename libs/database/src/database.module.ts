import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig } from '@referloop/config';
import { dataSourceOptions } from './data-source';

@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig, applicationName: string): DynamicModule {
    if (!config.databaseUrl) throw new Error('DatabaseModule needs a database URL (start the embedded server first)');
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions({ url: config.databaseUrl, applicationName }) })],
      exports: [TypeOrmModule],
    };
  }
}
