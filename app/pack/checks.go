package pack

import (
	"crypto/ed25519"
	"crypto/x509"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/strictjson"
)

// The package's own checks (Summary.Checks, Report.Package.Checks), in the
// order Verify runs them; the signature's are cades' Check* constants.
const (
	CheckManifestFormat    = "manifest_format"    // manifest.json: strict JSON, the current version, exactly the package's files
	CheckManifestDigests   = "manifest_digests"   // every file's size and SHA-256 as the manifest says
	CheckDeviceCertificate = "device_certificate" // device.pem is a kiosk device certificate (DevicePolicyOID, Ed25519, CN = kiosk id)
	CheckManifestSignature = "manifest_signature" // manifest.json.sig verifies with the key device.pem certifies
	CheckDeviceChain       = "device_chain"       // device.pem chains to a trusted root as of the signing time
	CheckDeviceKiosk       = "device_kiosk"       // the evidence's kiosk is the device certificate's
	CheckDeviceKey         = "device_key"         // device.pem certifies VerifyOptions.DevicePub (when given)
	CheckManifestIDs       = "manifest_ids"       // package, ticket and order id named, as the evidence names them
	CheckPackageID         = "package_id"         // the manifest names the id the package is filed under (VerifyOptions.PackageID only)
)

// ETSI sub-indications the package checks use.
const (
	subFormat   = "FORMAT_FAILURE"
	subHash     = "HASH_FAILURE"
	subSig      = "SIG_CRYPTO_FAILURE"
	subNoChain  = "NO_CERTIFICATE_CHAIN_FOUND"
	subProfile  = "CHAIN_CONSTRAINTS_FAILURE"
	subMismatch = "SIG_CONSTRAINTS_FAILURE"
)

// checks collects the package's checks; each failure is also a problem
// line (add), as the signature's are.
type checks struct {
	list []cades.Check
	add  func(string, ...any)
}

func (c *checks) rec(id string, st cades.Status, sub, reason string) {
	c.list = append(c.list, cades.Check{ID: id, Status: st, SubIndication: sub, Reason: reason})
}

// fail records a failed check and its problem line, which is its reason.
func (c *checks) fail(id, sub, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	c.add("%s", msg)
	c.rec(id, cades.Failed, sub, msg)
}

func (c *checks) skip(why string, ids ...string) {
	for _, id := range ids {
		c.rec(id, cades.Undecided, "", "not checked: "+why)
	}
}

// result records one check made of several findings: passed with okReason
// when there are none, else failed with the first (each is a problem line).
func (c *checks) result(id, sub string, findings []string, okReason string) {
	for _, f := range findings {
		c.add("%s", f)
	}
	switch len(findings) {
	case 0:
		c.rec(id, cades.Passed, "", okReason)
	case 1:
		c.rec(id, cades.Failed, sub, findings[0])
	default:
		c.rec(id, cades.Failed, sub, fmt.Sprintf("%s (and %d more)", findings[0], len(findings)-1))
	}
}

func (c *checks) status(id string) cades.Status {
	for _, k := range c.list {
		if k.ID == id {
			return k.Status
		}
	}
	return ""
}

// checkManifest reads manifest.json and checks its form and every digest;
// it returns the manifest, or nil when there is none to read.
func checkManifest(data map[string][]byte, pc *checks) *Manifest {
	raw, ok := data[NameManifest]
	if !ok {
		// "missing file" is already a problem line.
		pc.rec(CheckManifestFormat, cades.Failed, subFormat, "the package has no "+NameManifest)
		pc.skip("no manifest", CheckManifestDigests)
		return nil
	}
	var m Manifest
	if err := strictjson.Unmarshal(raw, &m); err != nil {
		pc.fail(CheckManifestFormat, subFormat, "%s: %s", NameManifest, jsonProblem(err))
		pc.skip("the manifest is unreadable", CheckManifestDigests)
		return nil
	}
	var form, digests []string
	if m.Version != ManifestVersion {
		form = append(form, fmt.Sprintf("%s: version %d; only version %d verifies", NameManifest, m.Version, ManifestVersion))
	}
	for _, name := range fileNames() {
		if name == NameManifest || name == NameManifestSig {
			continue
		}
		want, listed := m.Files[name]
		if !listed {
			form = append(form, fmt.Sprintf("%s: not listed in the manifest", name))
			continue
		}
		b, ok := data[name]
		if !ok {
			continue // already reported as missing or unreadable
		}
		got := digest(b)
		if got.Size != want.Size {
			digests = append(digests, fmt.Sprintf("%s: size %d does not match the manifest's %d", name, got.Size, want.Size))
		}
		if got.SHA256 != want.SHA256 {
			digests = append(digests, fmt.Sprintf("%s: SHA-256 does not match the manifest", name))
		}
	}
	if len(m.Files) > maxEntries {
		// One line, not one per name: a hostile manifest can list millions.
		form = append(form, fmt.Sprintf("%s: lists %d files; a package holds at most %d", NameManifest, len(m.Files), maxEntries))
	} else {
		for _, name := range sortedKeys(m.Files) {
			if name == NameManifest || name == NameManifestSig || !isPackFile(name) {
				form = append(form, fmt.Sprintf("%s: lists unexpected file %q", NameManifest, name))
			}
		}
	}
	pc.result(CheckManifestFormat, subFormat, form,
		fmt.Sprintf("%s is version %d and lists exactly the package's files", NameManifest, ManifestVersion))
	pc.result(CheckManifestDigests, subHash, digests, "every file has the size and SHA-256 the manifest gives")
	return &m
}

func isPackFile(name string) bool {
	for _, n := range fileNames() {
		if n == name {
			return true
		}
	}
	return false
}

// checkIDs checks the ids the signed manifest binds the package to: its
// own (against the id it is filed under, when given), its ticket's and its
// order's (against the evidence). Values are printed only when they have
// the shape of an id: the manifest is the sender's.
func checkIDs(m *Manifest, ev *evidenceFields, want string, sum *Summary, pc *checks) {
	if m == nil {
		pc.skip("no readable manifest", CheckManifestIDs)
		if want != "" {
			pc.skip("no readable manifest", CheckPackageID)
		}
		return
	}
	sum.PackageID, sum.TicketID = m.PackageID, m.TicketID
	var f []string
	switch {
	case m.PackageID == "":
		f = append(f, NameManifest+": package_id is missing")
	case !validPackageID(m.PackageID):
		f = append(f, NameManifest+": package_id is not a lowercase UUID")
	}
	if m.TicketID == "" {
		f = append(f, NameManifest+": ticket_id is missing")
	}
	if m.OrderID == "" {
		f = append(f, NameManifest+": order_id is missing")
	}
	if ev != nil {
		if ev.TicketID != m.TicketID {
			f = append(f, NameEvidence+": ticket_id is not the one the manifest names")
		}
		if ev.OrderID != m.OrderID {
			f = append(f, NameEvidence+": order_id is not the one the manifest names")
		}
	}
	pc.result(CheckManifestIDs, subFormat, f, "the manifest names the package, its ticket and its order, as the evidence does")
	if want == "" {
		return
	}
	switch {
	case m.PackageID == want:
		pc.rec(CheckPackageID, cades.Passed, "", "the manifest names package "+want+", the id it is filed under")
	case validPackageID(m.PackageID):
		pc.fail(CheckPackageID, subMismatch, "%s: names package %s, not %s, the id it is filed under", NameManifest, m.PackageID, want)
	default:
		pc.fail(CheckPackageID, subMismatch, "%s: names no package id; it is filed under %s", NameManifest, want)
	}
}

// checkDevice checks who signed the manifest: device.pem must be a kiosk
// device certificate, chain to a trusted root as of the signing time and
// name the evidence's kiosk, and its key must have signed manifest.json.
func checkDevice(data map[string][]byte, ev *evidenceFields, opts VerifyOptions, sum *Summary, pc *checks) {
	var leaf *x509.Certificate
	var inter []*x509.Certificate
	usable := false // a kiosk device certificate whose key can be used
	switch certPEM, ok := data[NameDevice]; {
	case !ok:
		pc.rec(CheckDeviceCertificate, cades.Failed, subFormat, "the package has no "+NameDevice)
	default:
		var err error
		if leaf, inter, err = ParseDeviceCert(certPEM); err != nil {
			leaf = nil
			pc.fail(CheckDeviceCertificate, subFormat, "%s: %v", NameDevice, err)
			break
		}
		sum.Device = leaf
		if err := CheckDeviceProfile(leaf); err != nil {
			pc.fail(CheckDeviceCertificate, subProfile, "%s: not a kiosk device certificate: %v", NameDevice, err)
			break
		}
		usable = true
		sum.Kiosk = leaf.Subject.CommonName
		pc.rec(CheckDeviceCertificate, cades.Passed, "",
			fmt.Sprintf("%s is a kiosk device certificate (policy %s) for kiosk %s, serial %x", NameDevice, DevicePolicyOID, sum.Kiosk, leaf.SerialNumber))
	}

	raw, hasManifest := data[NameManifest]
	sig, hasSig := data[NameManifestSig]
	switch {
	case !hasManifest:
		pc.skip("no manifest", CheckManifestSignature)
	case !hasSig:
		pc.rec(CheckManifestSignature, cades.Failed, subSig, "the package has no "+NameManifestSig)
	case len(sig) == 0:
		pc.fail(CheckManifestSignature, subSig, "%s: empty: the manifest is not signed", NameManifestSig)
	case !usable:
		pc.skip("no kiosk device certificate to check it with", CheckManifestSignature)
	case len(sig) != ed25519.SignatureSize || !ed25519.Verify(devicePub(leaf), raw, sig):
		pc.fail(CheckManifestSignature, subSig, "%s: signature does not verify with the device key %s certifies", NameManifestSig, NameDevice)
	default:
		pc.rec(CheckManifestSignature, cades.Passed, "", NameManifest+" is signed by the device key "+NameDevice+" certifies")
	}

	roots := opts.DeviceRoots
	if roots == nil {
		roots = opts.Roots
	}
	at := deviceTime(sum, opts)
	switch {
	case !usable:
		pc.skip("no kiosk device certificate", CheckDeviceChain)
	case roots == nil:
		pc.rec(CheckDeviceChain, cades.Undecided, subNoChain,
			"no trusted roots: the kiosk that signed the manifest is not checked (give --roots with head office's kiosk CA)")
	default:
		if err := VerifyDeviceChain(leaf, inter, roots, at); err != nil {
			pc.fail(CheckDeviceChain, subNoChain, "%s: does not chain to a trusted kiosk CA as of %s: %v", NameDevice, at.UTC().Format(time.RFC3339), err)
			break
		}
		pc.rec(CheckDeviceChain, cades.Passed, "",
			fmt.Sprintf("%s chains to a trusted root as of %s (the signing time), issued by %s", NameDevice, at.UTC().Format(time.RFC3339), leaf.Issuer))
	}

	switch {
	case !usable:
		pc.skip("no kiosk device certificate", CheckDeviceKiosk)
	case ev == nil:
		pc.skip("no readable evidence", CheckDeviceKiosk)
	case ev.Kiosk == sum.Kiosk:
		pc.rec(CheckDeviceKiosk, cades.Passed, "", "the evidence names kiosk "+sum.Kiosk+", the device certificate's")
	case ValidKioskID(ev.Kiosk):
		pc.fail(CheckDeviceKiosk, subMismatch, "%s: names kiosk %s, but %s is kiosk %s's", NameEvidence, ev.Kiosk, NameDevice, sum.Kiosk)
	default:
		pc.fail(CheckDeviceKiosk, subMismatch, "%s: names no valid kiosk id; %s is kiosk %s's", NameEvidence, NameDevice, sum.Kiosk)
	}

	if opts.DevicePub != nil {
		switch {
		case !usable:
			pc.skip("no kiosk device certificate", CheckDeviceKey)
		case !devicePub(leaf).Equal(opts.DevicePub):
			pc.fail(CheckDeviceKey, subMismatch, "%s: certifies another key than the device key given", NameDevice)
		default:
			pc.rec(CheckDeviceKey, cades.Passed, "", NameDevice+" certifies the device key given")
		}
	}

	switch sigSt, chainSt := pc.status(CheckManifestSignature), pc.status(CheckDeviceChain); {
	case sigSt == cades.Passed && chainSt == cades.Passed:
		sum.ManifestSigned = "verified"
	case sigSt == cades.Passed && chainSt == cades.Undecided:
		sum.ManifestSigned = "verified with the key " + NameDevice + " certifies; that certificate is not checked (no trusted roots)"
	case sigSt == cades.Passed:
		sum.ManifestSigned = "signed, but by a device certificate that does not verify"
	case !hasManifest:
		sum.ManifestSigned = "not checked (no manifest)"
	case !hasSig:
		sum.ManifestSigned = "missing"
	case len(sig) == 0:
		sum.ManifestSigned = "empty (not signed)"
	case sigSt == cades.Failed:
		sum.ManifestSigned = "invalid"
	default:
		sum.ManifestSigned = "not checked (no kiosk device certificate)"
	}
}

// deviceTime is when the device certificate must have been valid: the
// signing time (the time stamp's genTime), else the validation time. A
// package outlives its kiosk's certificate, as it outlives the signer's.
func deviceTime(sum *Summary, opts VerifyOptions) time.Time {
	if r := sum.Result; r != nil && r.Report.SigningTime != nil {
		return *r.Report.SigningTime
	}
	if !opts.At.IsZero() {
		return opts.At
	}
	return time.Now()
}
