// Entry point of the TypeORM CLI (`npm run migration:generate -- <Name>`, `npm run migration:show`).
import { createDataSource } from './data-source';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required for the migration CLI');

export default createDataSource({ url, applicationName: 'referloop-migration-cli' });
