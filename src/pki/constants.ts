// GlobalPlatform Card Specification Amendment F (SCP11) 6.3 / Table 6-12: certificate tags and key usages,
// and the object identifiers of the X.509 profile (RFC 5280, RFC 5480, RFC 5758).

// GPC Amd F Table 6-12: the GP certificate template
export const TAG_GP_CERTIFICATE = 0x7f21;
export const TAG_SERIAL = 0x93;
export const TAG_CA_KEY_ID = 0x42;
export const TAG_SUBJECT_ID = 0x5f20;
export const TAG_KEY_USAGE = 0x95;
export const TAG_EFFECTIVE_DATE = 0x5f25;
export const TAG_EXPIRATION_DATE = 0x5f24;
export const TAG_DISCRETIONARY = 0x53;
export const TAG_DISCRETIONARY_CONSTRUCTED = 0x73;
/** Authorizations (optional; OpenSCP and later GP drafts carry it between 53/73 and 7F49). */
export const TAG_AUTHORIZATIONS = 0xbf20;
export const TAG_PUBLIC_KEY = 0x7f49;
export const TAG_EC_POINT = 0xb0;
export const TAG_CURVE_ID = 0xf0;
export const TAG_SIGNATURE = 0x5f37;
/** GPC Amd F 7.4.3: GET DATA BF21 wraps the certificate chain. */
export const TAG_CERTIFICATE_STORE = 0xbf21;

// GPC Amd F Table 6-12, tag 95
export const KEY_USAGE_KEY_AGREEMENT = 0x0080;
export const KEY_USAGE_SIGNATURE_VERIFICATION = 0x0082;

/** The key id of a CA (tag 42, FF33, AKI/SKI) is SHA-1 of its uncompressed point: 20 bytes. */
export const KEY_ID_LENGTH = 20;
/** GSMA SGP.29 EID: 32 decimal digits. */
export const EID_DIGITS = 32;

// X.509 object identifiers
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1'; // RFC 5480 2.1.1
export const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2'; // RFC 5758 3.2
export const OID_ECDSA_SHA384 = '1.2.840.10045.4.3.3';
export const OID_ECDSA_SHA512 = '1.2.840.10045.4.3.4';
export const OID_COMMON_NAME = '2.5.4.3';
export const OID_SERIAL_NUMBER = '2.5.4.5';
export const OID_COUNTRY = '2.5.4.6';
export const OID_LOCALITY = '2.5.4.7';
export const OID_STATE = '2.5.4.8';
export const OID_ORGANIZATION = '2.5.4.10';
export const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';
export const OID_SUBJECT_KEY_ID = '2.5.29.14'; // RFC 5280 4.2.1.2
export const OID_KEY_USAGE = '2.5.29.15'; // RFC 5280 4.2.1.3
export const OID_BASIC_CONSTRAINTS = '2.5.29.19'; // RFC 5280 4.2.1.9
export const OID_CRL_NUMBER = '2.5.29.20'; // RFC 5280 5.2.3
export const OID_CERTIFICATE_POLICIES = '2.5.29.32'; // RFC 5280 4.2.1.4
export const OID_AUTHORITY_KEY_ID = '2.5.29.35'; // RFC 5280 4.2.1.1
export const OID_EXTENDED_KEY_USAGE = '2.5.29.37';
export const OID_SUBJECT_ALT_NAME = '2.5.29.17';

// RFC 5280 4.2.1.3 KeyUsage bit numbers (bit 0 = the most significant bit of the first byte)
export const X509_KU_DIGITAL_SIGNATURE = 0;
export const X509_KU_KEY_AGREEMENT = 4;
export const X509_KU_KEY_CERT_SIGN = 5;
export const X509_KU_CRL_SIGN = 6;
