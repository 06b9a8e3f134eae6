# Baseline for bench/run's analyzer part: the same negative binomial model with MASS::glm.nb on
# the data analyzer_bench wrote. Prints the fit time and the estimates.
suppressMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t <- system.time(m <- glm.nb(y ~ before + age + times + plan + life, data = d,
                             control = glm.control(epsilon = 1e-12, maxit = 100)))
cat(sprintf("r_fit_seconds %.3f\n", t[["elapsed"]]))
cat(sprintf("estimate theta %.15g\n", m$theta))
b <- coef(m)
names(b)[1] <- "(Intercept)"
for (k in names(b)) cat(sprintf("estimate %s %.15g\n", k, b[[k]]))
