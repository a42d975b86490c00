/**
 * Every registered alert vendor passes the shared checks (test/harness/vendorConformance.ts),
 * driven from its own example receiver: adding a vendor adds it here without a line.
 */
import { VENDORS } from '../../lib/alerts/vendors/index.js';
import { describeVendorConformance } from '../harness/vendorConformance.js';

for (const vendor of VENDORS) describeVendorConformance(vendor);
