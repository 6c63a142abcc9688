package ncasim

import (
	"net/http"
	"strings"
)

// Handler serves the PKI's services at the Path constants, relative to
// where it is mounted (Config.BaseURL). No key: the real ones are public.
func (p *PKI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+PathTSP, p.tsp)
	mux.HandleFunc("POST "+PathOCSP, p.handleOCSPPost)
	mux.HandleFunc("GET "+PathCRL, p.serveCRL(p.BaseCRL))
	mux.HandleFunc("GET "+PathDeltaCRL, p.serveCRL(p.DeltaCRL))
	mux.HandleFunc("GET "+PathRootCRL, p.serveCRL(p.RootCRL))
	mux.HandleFunc("GET "+PathRootCert, serveDER(p.root.Raw))
	mux.HandleFunc("GET "+PathIssuingCert, serveDER(p.issuing.Raw))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An OCSP GET goes around the mux, which would clean "//" (base64
		// has '/') out of the path and redirect.
		if strings.HasPrefix(r.URL.Path, PathOCSP+"/") {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			p.handleOCSPGet(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// Mount serves the PKI's Handler under prefix (e.g. "/nca", no trailing
// slash) and everything else with other. It does not route through a
// ServeMux, for the same reason as Handler.
func (p *PKI) Mount(prefix string, other http.Handler) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	pki := http.StripPrefix(prefix, p.Handler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/") {
			pki.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}

func (p *PKI) serveCRL(get func() ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		der, err := get()
		if err != nil {
			p.log.Error().Err(err).Msg("CRL")
			http.Error(w, "cannot make the CRL", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(der)
	}
}

func serveDER(der []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(der)
	}
}
