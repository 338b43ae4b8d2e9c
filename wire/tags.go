package wire

// Backend (server → client) message tags.
const (
	TagAuthentication       = 'R'
	TagBackendKeyData       = 'K'
	TagBindComplete         = '2'
	TagCloseComplete        = '3'
	TagCommandComplete      = 'C'
	TagCopyData             = 'd'
	TagCopyDone             = 'c'
	TagCopyInResponse       = 'G'
	TagCopyOutResponse      = 'H'
	TagCopyBothResponse     = 'W'
	TagDataRow              = 'D'
	TagEmptyQueryResponse   = 'I'
	TagErrorResponse        = 'E'
	TagNegotiateProtocol    = 'v'
	TagNoData               = 'n'
	TagNoticeResponse       = 'N'
	TagNotificationResponse = 'A'
	TagParameterDescription = 't'
	TagParameterStatus      = 'S'
	TagParseComplete        = '1'
	TagPortalSuspended      = 's'
	TagReadyForQuery        = 'Z'
	TagRowDescription       = 'T'
)
