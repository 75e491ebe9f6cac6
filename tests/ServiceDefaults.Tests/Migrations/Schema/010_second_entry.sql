-- Numbered 010: applied after 002 because versions sort as numbers.
INSERT INTO ledger (id, note) SELECT 2, 'after ' || note FROM ledger WHERE id = 1;
