"""Quoted-thread parsing: the new text of a reply, its quoted history, and who took part."""
