//! `nft list ruleset` text of a native ruleset (filled in by the printer's own commit).
