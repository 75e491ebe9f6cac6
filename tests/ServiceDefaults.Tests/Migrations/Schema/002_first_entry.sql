INSERT INTO ledger (id, note) VALUES (1, 'first');
