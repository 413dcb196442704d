/* SPDX-License-Identifier: MIT */
/* graph: the package graph as Graphviz dot (pkggen --graph) */
#include <stdio.h>

#include "gen.h"

void
graph_print(struct gen *g)
{
	size_t i, j;

	printf("digraph packages {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"sans-serif\"];\n");
	for (i = 0; i < g->norder; i++) {
		const struct pkg *p = g->order[i];

		printf("\t\"%s\" [label=\"%s\\n%s%s%s\"%s];\n", p->r->name, p->r->name,
		    p->r->version, p->r->variant ? ":" : "", p->r->variant ? p->r->variant : "",
		    p->input ? ", style=bold" : "");
		for (j = 0; j < p->ndeps; j++)
			printf("\t\"%s\" -> \"%s\";\n", p->r->name, p->deps[j]->r->name);
		for (j = 0; j < p->nbdeps; j++)
			printf("\t\"%s\" -> \"%s\" [style=dashed, label=\"build\"];\n", p->r->name,
			    p->bdeps[j]->r->name);
	}
	printf("}\n");
}
