package session

// TypeLookups counts the catalog queries p ran for types it met unknown.
func TypeLookups(p *Pool) int64 { return p.types.lookups.Load() }

// SessionTypeLookups is TypeLookups for a session.
func SessionTypeLookups(s *Session) int64 { return s.types.lookups.Load() }
