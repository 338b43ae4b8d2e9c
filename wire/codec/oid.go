package codec

// OIDs of the built-in types, named as PostgreSQL's pg_type catalog names them.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDChar        uint32 = 18
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt4        uint32 = 23
	OIDText        uint32 = 25
	OIDOID         uint32 = 26
	OIDJSON        uint32 = 114
	OIDCidr        uint32 = 650
	OIDFloat4      uint32 = 700
	OIDFloat8      uint32 = 701
	OIDUnknown     uint32 = 705
	OIDMacaddr8    uint32 = 774
	OIDMacaddr     uint32 = 829
	OIDInet        uint32 = 869
	OIDBpchar      uint32 = 1042
	OIDVarchar     uint32 = 1043
	OIDDate        uint32 = 1082
	OIDTime        uint32 = 1083
	OIDTimestamp   uint32 = 1114
	OIDTimestamptz uint32 = 1184
	OIDInterval    uint32 = 1186
	OIDTimetz      uint32 = 1266
	OIDBit         uint32 = 1560
	OIDVarbit      uint32 = 1562
	OIDNumeric     uint32 = 1700
	OIDRecord      uint32 = 2249
	OIDUUID        uint32 = 2950
	OIDJSONB       uint32 = 3802

	OIDInt4range uint32 = 3904
	OIDNumrange  uint32 = 3906
	OIDTsrange   uint32 = 3908
	OIDTstzrange uint32 = 3910
	OIDDaterange uint32 = 3912
	OIDInt8range uint32 = 3926

	OIDInt4multirange uint32 = 4451
	OIDNummultirange  uint32 = 4532
	OIDTsmultirange   uint32 = 4533
	OIDTstzmultirange uint32 = 4534
	OIDDatemultirange uint32 = 4535
	OIDInt8multirange uint32 = 4536

	OIDBoolArray        uint32 = 1000
	OIDByteaArray       uint32 = 1001
	OIDCharArray        uint32 = 1002
	OIDNameArray        uint32 = 1003
	OIDInt2Array        uint32 = 1005
	OIDInt4Array        uint32 = 1007
	OIDTextArray        uint32 = 1009
	OIDBpcharArray      uint32 = 1014
	OIDVarcharArray     uint32 = 1015
	OIDInt8Array        uint32 = 1016
	OIDFloat4Array      uint32 = 1021
	OIDFloat8Array      uint32 = 1022
	OIDOIDArray         uint32 = 1028
	OIDMacaddrArray     uint32 = 1040
	OIDInetArray        uint32 = 1041
	OIDTimestampArray   uint32 = 1115
	OIDDateArray        uint32 = 1182
	OIDTimeArray        uint32 = 1183
	OIDTimestamptzArray uint32 = 1185
	OIDIntervalArray    uint32 = 1187
	OIDNumericArray     uint32 = 1231
	OIDTimetzArray      uint32 = 1270
	OIDBitArray         uint32 = 1561
	OIDVarbitArray      uint32 = 1563
	OIDJSONArray        uint32 = 199
	OIDCidrArray        uint32 = 651
	OIDMacaddr8Array    uint32 = 775
	OIDUUIDArray        uint32 = 2951
	OIDRecordArray      uint32 = 2287
	OIDJSONBArray       uint32 = 3807
	OIDInt4rangeArray   uint32 = 3905
	OIDNumrangeArray    uint32 = 3907
	OIDTsrangeArray     uint32 = 3909
	OIDTstzrangeArray   uint32 = 3911
	OIDDaterangeArray   uint32 = 3913
	OIDInt8rangeArray   uint32 = 3927

	OIDInt4multirangeArray uint32 = 6150
	OIDNummultirangeArray  uint32 = 6151
	OIDTsmultirangeArray   uint32 = 6152
	OIDTstzmultirangeArray uint32 = 6153
	OIDDatemultirangeArray uint32 = 6155
	OIDInt8multirangeArray uint32 = 6157
)

// Format codes of the extended query protocol.
const (
	TextFormat   int16 = 0
	BinaryFormat int16 = 1
)
