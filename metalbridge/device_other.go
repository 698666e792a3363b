//go:build !darwin

package metalbridge

// newMetal reports that Metal exists only on macOS.
func newMetal() (*Backend, string, error) {
	return nil, "", ErrUnavailable
}
