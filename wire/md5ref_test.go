package wire_test

import (
	"crypto/md5"
	"fmt"
)

// md5Reference is the MD5 password formula written out a second way.
func md5Reference(user, password string, salt []byte) string {
	inner := fmt.Sprintf("%x", md5.Sum([]byte(password+user)))
	return fmt.Sprintf("md5%x", md5.Sum(append([]byte(inner), salt...)))
}

func md5Hex(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
