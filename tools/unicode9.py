"""The code points assigned in Unicode 9.0 — the version Hugging Face tokenizers' normalizers know — read from Perl's
\p{In=9.0} (Python's unicodedata follows a later version). Shared by the table generators."""
import subprocess

VERSION = "9.0"


def code_points():
    """The set of code points present in Unicode 9.0 (surrogates excluded)."""
    ranges = subprocess.run(["perl", "-e", r"""
    my $s = -1;
    for my $cp (0 .. 0x10FFFF) {
        my $in = ($cp < 0xD800 || $cp > 0xDFFF) && chr($cp) =~ /\p{In=%s}/ ? 1 : 0;
        if ($in && $s < 0) { $s = $cp } elsif (!$in && $s >= 0) { print "$s ", $cp - 1, "\n"; $s = -1 }
    }
    print "$s 1114111\n" if $s >= 0;""" % VERSION], capture_output=True, text=True, check=True).stdout.split("\n")
    present = set()
    for line in ranges:
        if line:
            first, last = map(int, line.split())
            present.update(range(first, last + 1))
    return present
