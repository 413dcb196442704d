/* SPDX-License-Identifier: MIT */
/* mpi_hello: each rank says where it runs and which pipeline entry started
 * it; rank 0 gathers the hosts, sums the ranks and writes key=value stats to
 * argv[1]; rank argv[2] (if any) exits 3, to show a failing rank */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	char host[MPI_MAX_PROCESSOR_NAME], *all = NULL;
	const char *entry = getenv("PKG_NAME");
	int rank, size, len, sum = 0, i;
	FILE *f;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	memset(host, 0, sizeof(host));
	MPI_Get_processor_name(host, &len);
	printf("rank %d of %d on %s (entry %s)\n", rank, size, host, entry ? entry : "?");
	MPI_Reduce(&rank, &sum, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
	if (rank == 0)
		all = malloc((size_t)size * sizeof(host));
	MPI_Gather(host, sizeof(host), MPI_CHAR, all, sizeof(host), MPI_CHAR, 0, MPI_COMM_WORLD);
	if (rank == 0 && argc > 1 && (f = fopen(argv[1], "w"))) {
		fprintf(f, "ranks=%d\nrank_sum=%d\nhosts=", size, sum);
		for (i = 0; i < size; i++)
			fprintf(f, "%s%s", i ? "," : "", all + (size_t)i * sizeof(host));
		fprintf(f, "\n");
		fclose(f);
	}
	free(all);
	MPI_Finalize();
	return argc > 2 && rank == atoi(argv[2]) ? 3 : 0;
}
