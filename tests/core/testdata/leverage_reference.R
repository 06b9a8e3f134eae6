# Reference leverages for tests/core/disclosure_budget_test.cc (Leverage.MatchesR): the
# diagonal of the projection onto the row space of a small equations-by-subjects matrix,
# computed by R's lm hatvalues (and checked against qr.Q) -- independently of pprl's Eigen QR.
# Run: Rscript tests/core/testdata/leverage_reference.R
n <- 20
i <- 1:n
A <- rbind(
  as.numeric(i <= 12),                          # a mean over subjects 1..12
  as.numeric(i >= 5),                           # a mean over subjects 5..20
  (i %% 4) + i / 8,                             # a score equation's weights
  as.numeric(i <= 12) + as.numeric(i >= 5),     # dependent on the first two
  ifelse(i == 20, 7, 1 + (i %% 3)),             # an outlier: subject 20 discussed 7 times
  ((i %% 5) - 2) / (1 + i / 10))                # another smooth row
X <- t(A)
y <- rnorm(n)  # any response: hat values depend on X only
fit <- lm(y ~ X - 1)
h <- unname(hatvalues(fit))
q <- qr(X)
Q <- qr.Q(q)[, seq_len(q$rank)]
stopifnot(max(abs(h - rowSums(Q^2))) < 1e-12, q$rank == 5)
cat(sprintf("rank %d\n", q$rank))
cat(paste(sprintf("%.15f", h), collapse = ", "), "\n")
