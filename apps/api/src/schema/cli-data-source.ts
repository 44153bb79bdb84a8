// Entry point of the TypeORM CLI (`npm run migration:generate`, `npm run migration:show`).
import { createDataSource } from '@referloop/database';
import { SCHEMA_ENTITIES } from './schema-entities';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required for the migration CLI');

export default createDataSource({ url, entities: SCHEMA_ENTITIES, applicationName: 'referloop-migration-cli' });
