/**
 * Local operation (OpenADR 3.1.0 "Local Scenarios"): announce a VTN on the LAN with mDNS /
 * DNS-SD, find announced VTNs, and the local price a home's VTN republishes.
 */
export { OPENADR3_SERVICE, vtnTxtRecord, readVtnTxt, type AnnouncedVtn, type VtnTxt } from './txt';
export {
  VtnAnnouncer,
  announceInterfaces,
  defaultHostname,
  instanceName,
  isLoopbackHost,
  type AnnounceOptions,
  type AnnouncedApi,
  type AnnouncementState,
} from './announce';
export {
  announceVtn,
  announcedProgramNames,
  type VtnAnnouncement,
  type VtnAnnounceOptions,
} from './vtn-announcement';
export {
  browseVtns,
  watchVtns,
  resolveVtn,
  resolveLocalHost,
  VtnNotFoundError,
  type BrowseOptions,
  type VtnWatch,
  type WatchOptions,
} from './browse';
export {
  computeLocalPrice,
  emissionsSpans,
  localPriceEvent,
  localPriceProgram,
  type EmissionsPoint,
  type LocalPriceSlot,
  type LocalPriceResult,
  type LocalPriceEventOptions,
} from './local-price';
