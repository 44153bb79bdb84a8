import { DirectorySearch } from '../../components/DirectorySearch';
import { useTitle } from '../../lib/hooks';

export const PARTNERS_PATH = '/admin/partners';

/**
 * The clinic's preferred partners (clinic admins): practitioners of other clinics its practitioners
 * see first when they choose whom to refer to. Marked and unmarked in the directory.
 */
export function PartnersPage() {
  useTitle('Clinic partners');
  return (
    <>
      <h1 tabIndex={-1}>Clinic partners</h1>
      <p className="muted">
        Your practitioners see the clinic’s partners first when they choose whom to refer to. Find someone in the directory and
        make them a clinic partner.
      </p>
      <DirectorySearch />
    </>
  );
}
