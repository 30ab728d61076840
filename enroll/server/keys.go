package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// SecretFile is the name of the server secret inside the data directory.
const SecretFile = "secret"

// secretSetting names the server secret in the database (PostgreSQL mode).
const secretSetting = "key_hmac_secret"

// LoadSecretFile returns the server secret kept in file, creating it (mode
// 0600) with 32 random bytes on first use.
func LoadSecretFile(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		secret := make([]byte, 32)
		rand.Read(secret)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, fmt.Errorf("create secret directory: %w", err)
		}
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadSecretFile(file) // created concurrently by another process
		}
		if err != nil {
			return nil, fmt.Errorf("create secret: %w", err)
		}
		_, werr := f.Write([]byte(hex.EncodeToString(secret) + "\n"))
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("write secret %s: %w", file, err)
		}
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(secret) < 16 {
		return nil, fmt.Errorf("read secret %s: want at least 32 hex digits", file)
	}
	return secret, nil
}

// LoadSecretDB returns the server secret stored in the database, creating
// it on first use, so that all replicas share it.
func LoadSecretDB(ctx context.Context, st store.Store) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	v, err := st.Setting(ctx, secretSetting, hex.EncodeToString(fresh))
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("decode server secret: %w", err)
	}
	return secret, nil
}

// keyHash returns the stored form of a registration key: HMAC-SHA256 of
// the whole key under the server secret.
func keyHash(secret []byte, k enroll.Key) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(k.String()))
	return hex.EncodeToString(m.Sum(nil))
}

// KeyOptions describes a registration key to create.
type KeyOptions struct {
	Tag             string
	Description     string
	TTL             time.Duration // 0 means no expiry
	MaxUses         int64         // 0 means unlimited
	AllowCIDRs      []string
	HostnamePattern string
	// ClonePolicy applies to suspected clones of the key's devices; empty
	// means fork.
	ClonePolicy store.ClonePolicy
	// Ephemeral, when set, retires the key's devices after this long
	// without contact and lets a new device take over the GLPI identity of
	// an earlier one with the same hostname.
	Ephemeral time.Duration
}

// CreateKey makes a registration key, stores its HMAC and returns the key,
// the only time its secret is available.
func CreateKey(ctx context.Context, st store.Store, secret []byte, opts KeyOptions, now time.Time) (enroll.Key, *store.Key, error) {
	if opts.Tag == "" {
		return enroll.Key{}, nil, errors.New("create key: a tag is required")
	}
	if opts.MaxUses < 0 || opts.TTL < 0 || opts.Ephemeral < 0 {
		return enroll.Key{}, nil, errors.New("create key: max uses, expiry and ephemeral window must not be negative")
	}
	policy, err := store.ParseClonePolicy(string(opts.ClonePolicy))
	if err != nil {
		return enroll.Key{}, nil, fmt.Errorf("create key: %w", err)
	}
	for i, c := range opts.AllowCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return enroll.Key{}, nil, fmt.Errorf("create key: allowed network %q: %w", c, err)
		}
		opts.AllowCIDRs[i] = p.Masked().String()
	}
	if _, err := path.Match(opts.HostnamePattern, ""); err != nil {
		return enroll.Key{}, nil, fmt.Errorf("create key: hostname pattern %q: %w", opts.HostnamePattern, err)
	}
	for range 5 {
		k := enroll.NewKey()
		rec := &store.Key{ID: k.ID, Hash: keyHash(secret, k), Tag: opts.Tag, Description: opts.Description,
			CreatedAt: now.UTC(), MaxUses: opts.MaxUses, AllowCIDRs: opts.AllowCIDRs, HostnamePattern: opts.HostnamePattern,
			ClonePolicy: policy, Ephemeral: opts.Ephemeral}
		if opts.TTL > 0 {
			rec.ExpiresAt = now.Add(opts.TTL).UTC()
		}
		err := st.CreateKey(ctx, rec)
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return enroll.Key{}, nil, err
		}
		return k, rec, nil
	}
	return enroll.Key{}, nil, errors.New("create key: no free key id")
}

// networkAllowed reports whether ip is inside one of the key's networks;
// a key without networks allows every address.
func networkAllowed(k *store.Key, ip netip.Addr) bool {
	if len(k.AllowCIDRs) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, c := range k.AllowCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// hostnameAllowed matches hostname, case-insensitively, against the key's
// glob pattern; a key without pattern allows every hostname.
func hostnameAllowed(k *store.Key, hostname string) bool {
	if k.HostnamePattern == "" {
		return true
	}
	ok, err := path.Match(strings.ToLower(k.HostnamePattern), strings.ToLower(hostname))
	return err == nil && ok
}
