package session

// VaultOpen reports whether the Broker holds an opened vault (for the file
// backend: decrypted, its passphrase known).
func (b *Broker) VaultOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.vaults) > 0
}

// ForgetVault closes the vault but keeps the sessions: the next call that
// needs a long-term key opens it again. awsmfa add, import and remove use it
// after changing the vault behind the agent's back.
func (b *Broker) ForgetVault() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.vaults)
}
