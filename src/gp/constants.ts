// GlobalPlatform Card Specification v2.3 and Amendment F (SCP11): the instruction bytes, key identifiers,
// tags and parameters this project uses. ISO-defined instructions are in iso7816/.

/** GPC 2.3 F.1: AID of the Issuer Security Domain. */
export const ISD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00);

// GPC 2.3 11.1.2 / Amd F 7: instructions
export const INS_PERFORM_SECURITY_OPERATION = 0x2a;
export const INS_MUTUAL_AUTHENTICATE = 0x82;
export const INS_INTERNAL_AUTHENTICATE = 0x88;
export const INS_STORE_DATA = 0xe2;
export const INS_GET_STATUS = 0xf2;
export const INS_GET_DATA = 0xca;
/** GPC 2.3 11.8: PUT KEY (P1 = KVN to replace or 00 to add, P2 = KID). */
export const INS_PUT_KEY = 0xd8;
/** GPC 2.3 11.2: DELETE (a key by D0 <KID> D2 <KVN>). */
export const INS_DELETE = 0xe4;

// GPC Amd F 4.1 / Table 4-1: key identifiers
export const KID_CA_KLOC = 0x10;
export const KID_SCP11A = 0x11;
export const KID_SCP11B = 0x13;
export const KID_SCP11C = 0x15;

// GPC Amd F 7.6.2.3: the control reference template of MUTUAL / INTERNAL AUTHENTICATE
export const TAG_CONTROL_REFERENCE = 0xa6;
export const TAG_SCP_ID_PARAMS = 0x90;
export const TAG_KEY_USAGE_QUALIFIER = 0x95;
export const TAG_KEY_TYPE = 0x80;
export const TAG_KEY_LENGTH = 0x81;
/** Ephemeral (or, in SCP11c, the card's static) public key, uncompressed point. */
export const TAG_EPK = 0x5f49;
export const TAG_RECEIPT = 0x86;
/** GET DATA BF21 A6{83 KID KVN}: key reference of the certificate store query. */
export const TAG_KEY_REFERENCE = 0x83;

// GPC 2.3 11.3.3.1, Amd F 7.4: data objects
export const TAG_CERT_STORE = 0xbf21;
export const TAG_KEY_INFO_TEMPLATE = 0xe0;
export const TAG_KEY_INFO = 0xc0;
/** DESIGN.md 4.4: the card's SCP11 capabilities for key update. */
export const TAG_CAPABILITIES = 0xbf30;
/** GPC Amd F 7.4.2: CA-KLOC identifiers (pairs 42 <key id> 83 <KID KVN>). */
export const TAG_CA_KLOC_IDS = 0xff33;

/** GPC 2.3 11.11.2.1 STORE DATA P1: last block (b8), BER-TLV (b5), response expected (b1). */
export const P1_STORE_DATA_LAST_BERTLV_RESPONSE = 0x91;
/** GPC 2.3 11.11.2.1 STORE DATA P1: last block (b8), BER-TLV (b5), no response data (yubikit's store_data). */
export const P1_STORE_DATA_LAST_BERTLV = 0x90;

// GPC Amd F 7.5 (restriction of the OCE certificates a key set accepts) as Yubico's yubikit sends it
// (securitydomain.py store_allowlist): STORE DATA A6{83 <KID KVN>} 70{93 <serial> ...}; 70{} clears the list.
/** The OCE certificate allowlist: the serials of the OCE certificates a key set accepts. */
export const TAG_OCE_ALLOWLIST = 0x70;
/** One certificate serial number (ASN.1 INTEGER content, as in the 7F21 certificate's tag 93). */
export const TAG_OCE_SERIAL = 0x93;

// Issue 13, the card's deny list of revoked OCE certificate serials: GPC 2.3 / Amd F and yubikit define no object
// for it, so it is a proprietary STORE DATA template next to DESIGN.md 4.5's BF70-BF73:
// BF74{81 <mode: 01 add, 02 replace>, 93 <serial> ...} (93 as in the Amd F 7.5 allowlist).
/** STORE DATA template of a deny list update (proprietary; no GP object exists for OCE revocation). */
export const TAG_DENY_LIST_UPDATE = 0xbf74;
/** BF74 81: how the serials apply to the card's deny list. */
export const TAG_DENY_LIST_MODE = 0x81;
/** BF74 81 = 01: the serials join the list (idempotent, so a repeat after a lost answer is harmless). */
export const DENY_LIST_MODE_ADD = 0x01;
/** BF74 81 = 02: the serials become the whole list (empty: no serial denied). */
export const DENY_LIST_MODE_REPLACE = 0x02;

/** GPC Amd F 7.5.2 PSO: P1 b8 / P2 b8 set while more blocks / more certificates follow. */
export const PSO_MORE_FOLLOW = 0x80;

/** SCP identifier of the 90 tag (GPC Amd F 7.6.2.3). */
export const SCP11_ID = 0x11;
/** GPC Amd F 6.2: key usage qualifier 3C = C-MAC, R-MAC, C-DECRYPTION, R-ENCRYPTION. */
export const KEY_USAGE_SECURE_MESSAGING = 0x3c;
/** GPC 2.3 Table 11-16: key type 88 = AES. */
export const KEY_TYPE_AES = 0x88;

// GPC 2.3 10.6 / Table 10-1: security level bits
export const SECURITY_LEVEL_C_MAC = 0x01;
export const SECURITY_LEVEL_C_DECRYPTION = 0x02;
export const SECURITY_LEVEL_R_MAC = 0x10;
export const SECURITY_LEVEL_R_ENCRYPTION = 0x20;
export const SECURITY_LEVEL_AUTHENTICATED = 0x80;

// GPC 2.3 11.8.2.3 (key data field) with the ECC key types of GPC Amd F / yubikit securitydomain.py put_key
/** GPC 2.3 11.8.2.1: PUT KEY P1 00 adds a key version. */
export const P1_PUT_KEY_ADD = 0x00;
/** GPC 2.3 Table 11-16: key type B0 = ECC public key (uncompressed point). */
export const KEY_TYPE_EC_PUBLIC = 0xb0;
/** GPC 2.3 Table 11-16: key type F0 = ECC key parameters reference (the curve's GP identifier). */
export const KEY_TYPE_EC_PARAMETERS = 0xf0;
/** GPC 2.3 11.8.2.3: length of the key check value; none for a public key. */
export const KCV_LENGTH_NONE = 0x00;
// GPC 2.3 11.2.2.3 / Table 11-24: DELETE key data objects
export const TAG_DELETE_KEY_ID = 0xd0;
export const TAG_DELETE_KEY_VERSION = 0xd2;
/** GPC 2.3 11.2.2.1: DELETE P2 00 = delete object (not related objects). */
export const P2_DELETE_OBJECT = 0x00;
/** yubikit securitydomain.py delete_key(delete_last=True): P2 01 lets the last key go (this card still refuses). */
export const P2_DELETE_LAST = 0x01;
