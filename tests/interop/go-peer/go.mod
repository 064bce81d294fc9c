module pinset.dev/go-peer

go 1.24

require github.com/remitly-oss/httpsig-go v1.2.0

require github.com/dunglas/httpsfv v1.0.2 // indirect
