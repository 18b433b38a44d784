"""Plain domain objects and pure rules. No framework imports here."""
