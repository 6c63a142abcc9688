package sim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"almatel.kz/signkiosk/app/cms"
)

// The subscriber's key rests in memory only as an encrypted PKCS#8 blob
// (RFC 5958 EncryptedPrivateKeyInfo, PBES2 of RFC 8018 with PBKDF2-HMAC-SHA256
// and AES-256-CBC): the same format `openssl pkcs8 -topk8 -v2 aes-256-cbc`
// writes, so the password is the only way to the key, as at a real provider.
// Written with the standard library: Go 1.24+ has crypto/pbkdf2, and the
// structure is three nested AlgorithmIdentifiers.

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// errWrongPassword is all decryptKey says about a failure: a wrong password
// and a damaged blob look the same from outside.
var errWrongPassword = errors.New("wrong password")

// pbkdf2Iterations trades brute-force cost against the ~300 ms budget from
// password submit to package: each sign call derives the key once, ~15 ms
// here (BenchmarkDecryptKey). A real provider's HSM would not need this.
const pbkdf2Iterations = 100_000

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"` // absent means HMAC-SHA1
}

// encryptKey returns key as a DER EncryptedPrivateKeyInfo under password.
func encryptKey(key *rsa.PrivateKey, password string) ([]byte, error) {
	plain, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	_, _ = rand.Read(salt) // never fails since Go 1.24
	_, _ = rand.Read(iv)
	aesKey, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	clear(plain) // best effort: no plaintext key left behind in this buffer

	kdf, err := asn1.Marshal(pbkdf2Params{Salt: salt, IterationCount: pbkdf2Iterations, KeyLength: 32,
		PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue}})
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	params, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	out, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		EncryptedData: data,
	})
	if err != nil {
		return nil, fmt.Errorf("encrypt key: %w", err)
	}
	return out, nil
}

// decryptKey opens a blob from encryptKey. Only the exact parameters
// encryptKey writes are accepted: the blob never comes from outside.
func decryptKey(blob []byte, password string) (*rsa.PrivateKey, error) {
	var info encryptedPrivateKeyInfo
	var params pbes2Params
	var kdf pbkdf2Params
	var iv []byte
	switch {
	case cms.UnmarshalAll(blob, &info) != nil,
		!info.Algorithm.Algorithm.Equal(oidPBES2),
		cms.UnmarshalAll(info.Algorithm.Parameters.FullBytes, &params) != nil,
		!params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2),
		!params.EncryptionScheme.Algorithm.Equal(oidAES256CBC),
		cms.UnmarshalAll(params.KeyDerivationFunc.Parameters.FullBytes, &kdf) != nil,
		!kdf.PRF.Algorithm.Equal(oidHMACSHA256),
		kdf.IterationCount < 1 || kdf.IterationCount > 10*pbkdf2Iterations,
		cms.UnmarshalAll(params.EncryptionScheme.Parameters.FullBytes, &iv) != nil,
		len(iv) != aes.BlockSize,
		len(info.EncryptedData) == 0 || len(info.EncryptedData)%aes.BlockSize != 0:
		return nil, errors.New("decrypt key: not a PBES2/PBKDF2-SHA256/AES-256-CBC blob")
	}
	aesKey, err := pbkdf2.Key(sha256.New, password, kdf.Salt, kdf.IterationCount, 32)
	if err != nil {
		return nil, fmt.Errorf("decrypt key: %w", err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, fmt.Errorf("decrypt key: %w", err)
	}
	data := make([]byte, len(info.EncryptedData))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, info.EncryptedData)
	pad := int(data[len(data)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(data[len(data)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errWrongPassword
	}
	// A wrong password passes the padding check about once in 256 tries;
	// the PKCS#8 parse then catches it.
	k, err := x509.ParsePKCS8PrivateKey(data[:len(data)-pad])
	clear(data)
	if err != nil {
		return nil, errWrongPassword
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errWrongPassword
	}
	return key, nil
}
