package app

// The kinds of failure the command line turns into exit statuses (see
// cmd/herald). Any other error is a partial failure: some source or step
// failed, and what could be published was.

// UsageError is a bad command line, or a file the command line names that
// is missing or taken. Brief errors are about a file rather than the
// words typed: the command's usage does not follow them.
type UsageError struct {
	Msg   string
	Brief bool
}

func (e UsageError) Error() string { return e.Msg }

// ConfigError is an invalid configuration.
type ConfigError struct{ Err error }

func (e ConfigError) Error() string { return e.Err.Error() }
func (e ConfigError) Unwrap() error { return e.Err }

// ListenError is an address serve cannot listen on.
type ListenError struct{ Err error }

func (e ListenError) Error() string { return e.Err.Error() }
func (e ListenError) Unwrap() error { return e.Err }

// StoreError is a store that cannot be opened.
type StoreError struct{ Err error }

func (e StoreError) Error() string { return e.Err.Error() }
func (e StoreError) Unwrap() error { return e.Err }

// OutputError is an output folder that cannot be locked or written; the
// previous output stands.
type OutputError struct{ Err error }

func (e OutputError) Error() string { return e.Err.Error() }
func (e OutputError) Unwrap() error { return e.Err }
